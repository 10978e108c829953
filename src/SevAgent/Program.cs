// Placeholder entry point; the agent host replaces it (issue "Guest image and in-guest agent").
return 0;
