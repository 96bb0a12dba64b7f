"""Turn the raw public corpora into the labs' versioned HDF5 datasets."""
VERSION = "1.1.0"


class DataPrepError(Exception):
    """A problem with the input or output of data_prep; the message names it."""
