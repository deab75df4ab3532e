"""``python -m grader``: the same command line as the ``grader`` script."""

from grader._cli import main

if __name__ == "__main__":
    main(prog_name="grader")
