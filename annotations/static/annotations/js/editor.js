/* The span editor: speaker autocomplete and suggestion, verdict picker, sources edited in place (issue 7). */
