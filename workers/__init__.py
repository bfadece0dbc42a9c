"""Workers: the job runner (service tasks through adapters) and the timer scheduler.

They run as threads inside ``dicase run`` (embedded default) or as any number of ``dicase worker``
processes on any number of machines sharing one PostgreSQL database.
"""
