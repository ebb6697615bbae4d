"""A terminal emulator widget (pyte's screen model painted in Qt) and its key mapping."""
