"""What only a notebook kernel uses: the ``%%on`` magic and display values."""
