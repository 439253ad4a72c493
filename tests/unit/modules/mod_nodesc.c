/* mod_nodesc.c: a shared object that is not a crossbar module (no descriptor). */
int not_a_module(void);
int not_a_module(void)
{
	return 0;
}
