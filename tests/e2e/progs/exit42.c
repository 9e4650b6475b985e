/* Exits with status 42 through exit_group. */
int main(void)
{
	return 42;
}
