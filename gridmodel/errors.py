"""The user error every command turns into exit code 2 with one line: a scenario, a file it
names, or an option that cannot be used, named with the value given and what is allowed."""


class ScenarioError(ValueError):
    """A scenario that cannot be run; the message names the field and what is allowed."""
