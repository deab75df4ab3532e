"""``python -m grader.serve OUT [PORT]``: what ``grader serve OUT --port PORT`` runs."""

from grader.serve._run import main

main()
