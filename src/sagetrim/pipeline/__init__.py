"""The flow of a run, one step after the other: accounts x regions -> collect -> enrich -> evaluate -> act
-> report. The command line and the Lambda handlers both call these functions; progress goes to a plain
callback (`progress.OnProgress`), never to a terminal.

- `settings`: the settings file, with each rule's section checked against its Params;
- `scan`: resolve the accounts and regions, collect, enrich, evaluate;
- `act`: carry out the findings' actions (planned only unless applied);
- `rightsize`: one resource's utilization and the instance it needs;
- `demo`: the whole flow on a simulated account.

Nothing here draws on a terminal: `report/` renders what these functions return.
"""
