"""selgen: validates a system description and generates its glue, layout and image rules."""
