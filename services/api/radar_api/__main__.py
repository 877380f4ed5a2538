"""`python -m radar_api`: serve the REST API and the web page (the same as `radar api`)."""

from radar_api.cli.api import api

if __name__ == "__main__":
    api()
