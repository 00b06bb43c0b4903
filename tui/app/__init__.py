"""The Textual app (`gst tui`): screens, widgets, the launcher of background runs, and the messages they post."""
