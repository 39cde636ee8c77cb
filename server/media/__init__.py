"""Audio that follows the state: the mapping from Convene's rooms and channels to
Janus AudioBridge rooms (``topology``), the per-person join secrets (``tickets``),
and the bridge process that applies the mapping to a Janus server (``bridge``)."""
