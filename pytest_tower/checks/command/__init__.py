"""The command check type: any command, its exit code, output sizes and a metrics file."""
