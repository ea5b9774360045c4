"""The bridge between granian's ASGI interface and newsdesk's unchanged WSGI application.

Why it exists: granian's WSGI interface hands a request to one of its few blocking threads as
soon as the headers are in, and Django then blocks in ``wsgi.input.read()`` for as long as the
client takes to send the body. A handful of clients trickling (or never finishing) a POST held
every thread, and the site stopped answering anyone. Granian has no body-read timeout, and no
WSGI middleware can interrupt a blocking read.

So granian serves the ASGI application in ``asgi.py``:

- ``body.py`` receives the whole request body on the event loop, where waiting costs no thread,
  under a deadline that grows with the bytes received, a size limit and a cap on how many
  requests of a worker may be waiting on their body at once;
- ``relay.py`` then runs Django's WSGI application with the buffered body in a bounded pool of
  ``--threads`` threads, one thread for the whole call (the app, the iteration of its response
  and its ``close()``), because Django's database connections belong to a thread and ``close()``
  sends ``request_finished``;
- ``app.py`` ties the two together and answers granian's lifespan messages.

``newsdesk.wsgi:application`` stays for operators who run another WSGI server behind a buffering
proxy.
"""
