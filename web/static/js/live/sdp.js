// SDP munging for the offer. Chromium decodes the server's Opus as stereo only when its OWN offer
// carries stereo=1 in the Opus a=fmtp line (the answer alone is not enough), so the offer is
// edited before setLocalDescription.

const OPUS_PARAMS = { stereo: "1", "sprop-stereo": "1" };

/** The offer with stereo=1;sprop-stereo=1 on every Opus payload type (added or overridden). */
export function withStereoOpus(sdp) {
  const eol = sdp.includes("\r\n") ? "\r\n" : "\n";
  const lines = sdp.split(eol);
  const opusTypes = new Set();
  for (const line of lines) {
    const m = /^a=rtpmap:(\d+) opus\/48000(\/\d+)?$/i.exec(line);
    if (m) opusTypes.add(m[1]);
  }
  if (!opusTypes.size) return sdp;
  const withFmtp = new Set();
  const out = lines.map((line) => {
    const m = /^a=fmtp:(\d+) (.*)$/.exec(line);
    if (!m || !opusTypes.has(m[1])) return line;
    withFmtp.add(m[1]);
    return `a=fmtp:${m[1]} ${mergeParams(m[2], OPUS_PARAMS)}`;
  });
  // Opus payload types without an fmtp line get one right after their rtpmap line.
  const result = [];
  for (const line of out) {
    result.push(line);
    const m = /^a=rtpmap:(\d+) opus\/48000/i.exec(line);
    if (m && !withFmtp.has(m[1])) result.push(`a=fmtp:${m[1]} ${mergeParams("", OPUS_PARAMS)}`);
  }
  return result.join(eol);
}

function mergeParams(existing, extra) {
  const params = new Map();
  for (const part of existing.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key) params.set(key, rest.join("="));
  }
  for (const [key, value] of Object.entries(extra)) params.set(key, value);
  return [...params].map(([k, v]) => (v === "" ? k : `${k}=${v}`)).join(";");
}

/** Whether an SDP's Opus fmtp asks for stereo (used to show/verify what was negotiated). */
export function hasStereoOpus(sdp) {
  const types = [...sdp.matchAll(/^a=rtpmap:(\d+) opus\/48000/gim)].map((m) => m[1]);
  return types.some((pt) => new RegExp(`^a=fmtp:${pt} .*\\bstereo=1\\b`, "m").test(sdp));
}
