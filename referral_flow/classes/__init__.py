"""The class organiser's screens: awareness classes, bulk enrolment and bulk results."""
