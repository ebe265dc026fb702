"""The junit check type: any test runner, judged from the JUnit XML it writes."""
