"""The one error of every Ipg exporter (tools/export, tools/sasrec, tools/gru4rec): the model cannot be exported
faithfully as given. The message says why and, where it can, which option to pass; command-line tools print it on
stderr and exit with code 2. Dependency-free, so any exporter can import it first."""


class ExportError(ValueError):
    """The model cannot be exported faithfully as given; the message says why and which option to pass."""
