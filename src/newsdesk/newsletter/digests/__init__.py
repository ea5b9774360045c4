"""What the newsletter sends: editions, their frozen stories, rendering, schedule and archive."""
