"""A resident's own contact and calls: availability, free times, booking, calendar files."""
