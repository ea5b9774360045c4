"""The process layer on top of every app: the demo, the server and the worker."""
