"""`cfamon`: run the suite or one service, manage the project registry."""

from __future__ import annotations

import typer

from services.cli import docs, importer, maintenance, projects, report, review, run, serve, simulate

app = typer.Typer(
    name="cfamon",
    help="Call for Action Monitor: follow the Budapest Process Call for Action 2025-2030 as it happens.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command("run")(run.run)
app.command("intake")(serve.intake)
app.command("aggregator")(serve.aggregator)
app.command("notifier")(serve.notifier)
app.add_typer(projects.app, name="projects")
app.add_typer(review.app, name="review")
app.add_typer(maintenance.framework_app, name="framework")
app.add_typer(maintenance.catalog_app, name="catalog")
app.command("rebuild")(maintenance.rebuild)
app.command("report")(report.report)
app.command("import")(importer.import_file)
app.command("simulate")(simulate.simulate)
app.command("docs")(docs.docs)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
