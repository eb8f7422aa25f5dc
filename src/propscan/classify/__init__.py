"""Article-level judgement (genre, frames, persuasion profile) and non-English paragraph techniques."""
