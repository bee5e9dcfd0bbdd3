"""Residents asking, the safety question, and cases that staff take over."""
