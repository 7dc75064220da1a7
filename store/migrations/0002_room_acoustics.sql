-- 0002: per-room acoustics. A JSON object holding only the settings the host changed
-- (distance_model, ref_distance, max_distance, rolloff, audible_radius); '{}' means the
-- mixer's defaults, so rooms made before this migration keep sounding as they did.
ALTER TABLE rooms ADD COLUMN acoustics TEXT NOT NULL DEFAULT '{}'
    CHECK (json_valid(acoustics) AND json_type(acoustics) = 'object');
