"""The recorder's one hot scan in C (cffi, API mode): Annex-B start codes to NAL unit
lengths. The extension `_avc` is built by setup.py where a C compiler exists;
recorder/bitstream.py falls back to Python."""
