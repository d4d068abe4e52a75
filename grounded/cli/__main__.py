from grounded.cli import app

app()
