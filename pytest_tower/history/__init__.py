"""What runs leave behind for later runs: the history file, baselines, --tower-show."""
