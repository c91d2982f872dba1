"""Reports coordinators hand upward: the Excel table, the status chart, the weekly digest."""
