"""Static files of the sandbox's browser chat (a package only so wheels ship them)."""
