"""`python -m pipeline` = the `nianbao` command."""

from pipeline.cli import main

if __name__ == "__main__":
    main(prog_name="nianbao")
