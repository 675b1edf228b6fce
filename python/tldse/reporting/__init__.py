"""Reports of results: plots (matplotlib's object API: a caller's pyplot state and
backend are never touched), Markdown tables, and the files each command writes
beside its data (``pareto.png`` of a sweep; ``report.md`` and its plots of an
exploration). Library packages never import this one."""
