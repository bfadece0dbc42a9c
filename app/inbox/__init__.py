"""The task inbox: the open human tasks a person may work on, and the page to work on one."""
