"""The shell's base: settings, logs, languages, rendering, the outbox courier, one turn."""
