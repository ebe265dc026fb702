"""The tests check type: the project's own tests in a child pytest.

The child loads child_plugin (an event log of exact outcomes); results reads it back."""
