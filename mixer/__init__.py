"""Pure DSP: positions -> gains -> a personal stereo mix per listener. No I/O, no aiortc."""
