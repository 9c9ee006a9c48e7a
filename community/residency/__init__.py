"""Where a resident lives, as verified by the community office or a grid worker
(not as typed at sign-up): it decides where they vote and judge 民生小实事."""
