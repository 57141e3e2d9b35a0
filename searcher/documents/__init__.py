"""Documents as the build reads them: the folder's files, which of them to read, and their formats' text."""
