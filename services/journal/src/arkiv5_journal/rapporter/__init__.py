"""Reports and lists: restanseliste, public journal, postjournal, change log, oppfølging, quality report."""
