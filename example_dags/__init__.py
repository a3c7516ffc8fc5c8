"""Example DAGs for the Drove provider, and the ``make demo`` runner (``python -m example_dags.demo``)."""
