"""The run report: one self-contained HTML page per build (issue 17).

A build asked for one (``build(task, report="run.html")``, ``run --report=run.html``) records
what its worker tells the scheduler (:mod:`.collect`, a listener of
:mod:`gokart_core.runner.observe`), describes each task from its object (:mod:`.describe`:
parameters that may be shown, outputs and their sizes, logs), turns that into the page's data
(:mod:`.model`), lays the graph out with grandalf (:mod:`.layout`) and writes the page
(:mod:`.page`), during the build at most once a second and once more at its end
(:mod:`.live`). ``gokart-core report`` draws a task's report from its workspace without
running anything (:mod:`.workspace`; its command line is
:mod:`gokart_core.runner.report_command`).

Nothing here imports the runner layer (:mod:`gokart_core.runner.reporting` calls this), nothing
here is imported by ``import gokart_core`` or by a build without a report, and the layout
library is imported only when a page is written.
"""
