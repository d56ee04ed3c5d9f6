// SPDX-License-Identifier: GPL-2.0-or-later
/* placeholder until issue 4 lands */
int main(void)
{
	return 1;
}
