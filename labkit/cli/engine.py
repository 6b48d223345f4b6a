"""The papermill engine ``labkit run`` uses: nbclient's, saving less often.

papermill's own engine writes the whole executed notebook (its PNGs included) at the start
and at the end of every cell, so that a reader can follow a long run in the file. Lab 1's
notebooks have about 150 cells: some 300 writes of up to 300 KB, each made between two
cells, about 3 s of a 20 s run. ``labkit run`` prints a line per notebook instead, so this
engine writes the notebook when it ends (whether it ends well or not: papermill's
``notebook_complete`` runs in a ``finally``), and otherwise only when papermill's autosave
interval (30 s) has passed, as it does during a long cell.
"""

from __future__ import annotations

from typing import Any

from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines

NAME = "labkit"


class SaveAtEndManager(NotebookExecutionManager):  # type: ignore[misc]
    """papermill's execution manager, writing the notebook at its end and on autosave only."""

    def save(self, **kwargs: Any) -> None:
        """Write the notebook if it has ended or the autosave interval has passed."""
        waited = (self.now() - self.last_save_time).total_seconds()
        if self.end_time is None and waited < self.autosave_cell_every:
            return
        super().save(**kwargs)


class SaveAtEndEngine(NBClientEngine):  # type: ignore[misc]
    """nbclient's engine with :class:`SaveAtEndManager`."""

    @classmethod
    def execute_notebook(
        cls,
        nb: Any,
        kernel_name: str,
        output_path: str | None = None,
        progress_bar: bool = True,
        log_output: bool = False,
        autosave_cell_every: int = 30,
        **kwargs: Any,
    ) -> Any:
        """Run the notebook as papermill's ``Engine.execute_notebook`` does."""
        nb_man = SaveAtEndManager(
            nb,
            output_path=output_path,
            progress_bar=progress_bar,
            log_output=log_output,
            autosave_cell_every=autosave_cell_every,
        )
        nb_man.notebook_start()
        try:
            cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
        finally:
            nb_man.cleanup_pbar()
            nb_man.notebook_complete()
        return nb_man.nb


def register() -> str:
    """Add the engine to papermill's registry (again is harmless); returns its name."""
    papermill_engines.register(NAME, SaveAtEndEngine)
    return NAME
