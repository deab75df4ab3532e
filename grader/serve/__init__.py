"""``grader serve``: a web app for teaching assistants to mark answers by hand.

Owns the app (Starlette routes, Jinja2 templates, its one script and stylesheet), the login
links and CSRF tokens, the inert rendering of students' answers, the scoring of rubric items,
and the background rewriting of OUT's files after each change. Everything it stores goes
through the store (``grader.results._store.Store`` and its hand-marking tables): the store is
the only truth, there is no second database. May import ``grader.results``, ``grader.report``,
``grader.assignment`` and the similarity engine's fingerprints (``grader.similarity``, for
answer groups); nothing imports it but the command line. Its dependencies
(starlette, uvicorn, python-multipart, markdown-it-py) are the ``serve`` extra.
"""
