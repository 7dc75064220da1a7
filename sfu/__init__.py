"""Media plane: aiortc peers, inbound decode buffers, the room clock and outbound mixed tracks."""
