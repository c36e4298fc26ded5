// captured bytes go here
