"""What planners read: the HTML report and charts, letters, the activity plan, the CLI summary."""
