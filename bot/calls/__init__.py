"""A resident's own contact, booked calls and staff working hours."""
