"""Campus load profiles: the AI training and inference campus load model, from 10 ms to a year."""
