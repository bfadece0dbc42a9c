"""Open data D1–D9 (issue 8): the statistics published for the public and the national portal.

``disclosure`` decides what a published table may show (the count-below-3 rule of the LabIS
regulation, with secondary suppression); it takes plain data and returns plain data.
"""
