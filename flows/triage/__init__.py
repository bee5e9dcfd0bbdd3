"""Triage: is a message urgent? Text, concept rules, the model and the decision."""
